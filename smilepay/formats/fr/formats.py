# French dates: "7 déc. 2026", "07/12/2026 14:30" (Django's French formats, with the
# abbreviated months that fit a phone's table cell).
DATE_FORMAT = "j N Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j N Y H:i"
MONTH_DAY_FORMAT = "j N"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
