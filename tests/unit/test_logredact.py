import logging

from portal.logredact import RedactIdNumbers, redact


def test_query_string_id_numbers_are_masked():
    line = '"GET /verify?name=%E5%BC%A0&id_number=11010519491231002X HTTP/1.1" 200 -'
    assert "11010519491231002X" not in redact(line)
    assert "id_number=110105********002X" in redact(line)


def test_filter_masks_log_record_arguments():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s',
                               ("127.0.0.1", "now", "GET /verify?id_number=110105194912310021", "200"), None)
    RedactIdNumbers().filter(record)
    assert "110105194912310021" not in record.getMessage()


def test_tracebacks_and_messages_of_any_logger_are_masked(app, caplog):
    import logging

    log = logging.getLogger("portal.imports")
    try:
        raise ValueError("第3行 张三 110105194912310021 手机 13812345678 重复")
    except ValueError:
        log.exception("import job %s failed on %s", 7, "110105194912310021")
    assert "110105194912310021" not in caplog.text and "13812345678" not in caplog.text
    assert "110105********0021" in caplog.text and "138****5678" in caplog.text
    assert "ValueError" in caplog.text, "the traceback itself is kept"


def test_a_logged_database_error_carries_no_parameters(app, caplog):
    import logging

    import pytest
    from sqlalchemy.exc import IntegrityError

    from portal.extensions import db
    from portal.models import User

    with app.app_context():
        for _ in range(2):
            db.session.add(User(username="110105194912310021", display_name="张三", role="person",
                                password_hash="x"))
        with pytest.raises(IntegrityError) as raised:
            db.session.commit()
        db.session.rollback()
    assert "张三" not in str(raised.value) and "parameters hidden" in str(raised.value)
    # PostgreSQL itself quotes the duplicate key in its message; the log masks it.
    logging.getLogger("portal.imports").error("import failed", exc_info=raised.value)
    assert "110105194912310021" not in caplog.text and "张三" not in caplog.text
    assert "IntegrityError" in caplog.text
