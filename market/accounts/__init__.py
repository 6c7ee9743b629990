"""Accounts run by their owners: password change and reset, invitations, roles, deactivation,
sessions."""
