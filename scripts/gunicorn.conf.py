"""gunicorn settings for production: `gunicorn -c scripts/gunicorn.conf.py wsgi:app`."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "1"))
timeout = 60
accesslog = "-"
# %(U)s is the path without the query string: public lookups carry ID numbers in the query.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'
