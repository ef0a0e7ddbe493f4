"""Keep ID numbers out of every log line, tracebacks included.

The public lookup is a GET form, so an ID number travels in the query string; the development
server logs every request line. Exceptions may quote values too (a failed import's error, a
database error): SQL parameters are never printed (`hide_parameters` in portal.config), and
every record's message, arguments and traceback text have ID and mobile numbers masked. The
masking is installed as the log-record factory, so it covers every logger, whichever handler
later writes the record.
"""
import ipaddress
import logging
import re

from portal.domain.idnumber import mask_id

_SENSITIVE = re.compile(r"((?:id_number|id)=)([^&\s\"]+)", re.IGNORECASE)
# Resident ID numbers (18 characters, or the old 15 digits) and mainland mobile numbers anywhere.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def redact(text: str) -> str:
    text = _SENSITIVE.sub(lambda m: m.group(1) + mask_id(m.group(2)), text)
    text = _ID_NUMBER.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)


_traceback_formatter = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif isinstance(record.msg, BaseException):
        record.msg = redact(str(record.msg))
    if isinstance(record.args, tuple):
        record.args = tuple(redact(a) if isinstance(a, str) else redact(str(a)) if isinstance(a, BaseException)
                            else a for a in record.args)
    # Formatters reuse exc_text when it is set, so the traceback is written only in this form.
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(_traceback_formatter.formatException(record.exc_info))
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class RedactIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _redacting_factory(previous):
    def factory(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))
    factory.redacting = True
    return factory


def init_app(app) -> None:
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting_factory(current))
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactIdNumbers) for f in logger.filters):
            logger.addFilter(RedactIdNumbers())


def truncate_address(address: str | None) -> str:
    """203.0.113.7 → 203.0.113.*; IPv6 keeps its first three groups."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "未知"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".*"
    return ":".join(ip.exploded.split(":")[:3]) + ":*"
