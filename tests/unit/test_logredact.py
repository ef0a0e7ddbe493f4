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
