"""Create the schema and reference data in the database named by DATABASE_URL (benchmark set-up)."""
from portal import create_app
from portal.extensions import db
from portal.reference import seed

app = create_app()
with app.app_context():
    db.create_all()
    seed()
