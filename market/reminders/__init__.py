"""Reminders: the job loop's one place for "tell them before it is too late"."""
