"""Grading data, read from local copies and verified before use, one data set per module.

A data set gives the sandbox the files a notebook reads (`sandbox_files`) and
the trusted side the arrays it measures with (`trusted_data`). Grading never
touches the network unless an instructor allows it.
"""
