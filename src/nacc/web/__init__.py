"""The web portal (``nacc.web``): server-rendered pages in Korean and English.

Served by the API's FastAPI app (``router``, static files at ``/static``); pages sign in
with an API token into a signed session cookie and call the same services as the API.
"""
