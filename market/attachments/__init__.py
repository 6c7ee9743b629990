"""Attachments (附件): files of needs, proposals, recognitions and deals, typed by content."""
