"""A whole class, as the instructor: `grade_all` (Dask, local or a cluster),
the results store, the report, the LMS export, the progress bar and `doctor`
(can this machine grade?).
"""
