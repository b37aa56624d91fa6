"""Credentials never leave the process: URLs are shown as ``user:****@host``."""

from __future__ import annotations

import logging
import re

# scheme://user:password@  (govc's GOVC_URL convention puts the password there)
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*):(?P<secret>[^@/\s'\"]*)@")


def mask_url(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``****``."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['head']}:****@", text)


class MaskingFilter(logging.Filter):
    """Masks URL passwords in log records, whatever the logger (pyvmomi's and aiohttp's included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_url(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
