"""Pure rules of the title-certificate domain: no Flask, no database.

Every rule returns structured problems (see ``problems.Problem``) so that web forms, the Excel
importer and the API report them the same way.
"""
