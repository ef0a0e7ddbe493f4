"""Keep ID numbers out of request logs.

The public lookup is a GET form, so an ID number travels in the query string; the development
server logs every request line. This filter masks such parameters before anything is written.
"""
import logging
import re

from portal.domain.idnumber import mask_id

_SENSITIVE = re.compile(r"((?:id_number|id)=)([^&\s\"]+)", re.IGNORECASE)


def redact(text: str) -> str:
    return _SENSITIVE.sub(lambda m: m.group(1) + mask_id(m.group(2)), text)


class RedactIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def init_app(app) -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactIdNumbers) for f in logger.filters):
            logger.addFilter(RedactIdNumbers())
