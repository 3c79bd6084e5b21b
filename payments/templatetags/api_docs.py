from django import template

from payments.api.markdown import render_markdown

register = template.Library()
register.filter("markdown", render_markdown)
