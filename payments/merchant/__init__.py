"""The merchant admin site at /merchant/: staff of one merchant see only that merchant."""
