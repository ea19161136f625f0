"""Pictures and tables for a student's feedback, one kind per module.

A figure is declared in an assignment's grading spec, like a check. After the
checks run, each figure turns the evidence into notebook outputs (a PNG, an
HTML table), which travel with the result and become part of the feedback.
"""
