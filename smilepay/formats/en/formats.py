# English dates as SmilePay shows them: day before month, 24-hour clock (Django's own
# English formats are American: "Dec. 7, 2026, 2:30 p.m.", "12/07/2026").
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
