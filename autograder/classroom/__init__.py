"""A whole class, as the instructor: `grade_all` (Dask, local or a cluster),
the report, the LMS export, the progress bar and `doctor`
(can this machine grade?).
"""
