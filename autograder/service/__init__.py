"""The JupyterHub grading service: grades submissions as they arrive
(`grading_service`, with its SQLite `queue` and `policy`), serves each student
their status (`status_server`); `status_client` is what a student's `check`
asks it.
"""
