"""JupyterLab for real: a student and an instructor drive nbgrader's lab extensions in headless Chromium.

One `jupyter lab` server, started by the test, serves a home folder holding the
course (a copy of nbgrader_config.py, source/ and release/, the server started
from there as an instructor starts it) and the student's work folder; the
exchange is a folder of its own. One user plays both parts, as in nbgrader's own
UI tests: the student works in `student/` through the Assignments tab and the
notebook's Validate button, the instructor in the Formgrader on the course root.
Every step leaves a screenshot in test-artifacts/e2e/ (and the server's log).
"""

import os
import re
import shutil
import time

import nbformat
import pytest
from conftest import ARTIFACTS as ALL_ARTIFACTS
from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, SOLUTION, answer_cell
from jupyterlab_server import JupyterLabServer, isolated_jupyter_env
from nbgrader.utils import get_username

ARTIFACTS = os.path.join(ALL_ARTIFACTS, "e2e")
ASSIGNMENT = "mnist_conv"

# Students and the instructor in the browser; the Formgrader's autograde trains the reference.
pytestmark = [pytest.mark.browser, pytest.mark.trains, pytest.mark.usefixtures("mnist_path")]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"JupyterLab end-to-end test needs Chromium at {CHROMIUM} (`make install` as root installs it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="JupyterLab end-to-end test needs playwright (pip install -e '.[test]')")

SECOND = 1000  # Playwright counts milliseconds
VALIDATE_TIMEOUT = 240 * SECOND  # a kernel that imports TensorFlow, on 2 cores
AUTOGRADE_TIMEOUT = 420 * SECOND  # one sandboxed training on the quick profile, ~20-40 s here


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab over tmp/home: `course/` (the instructor's) and `student/` (the student's)."""
    home = tmp_path / "home"
    course, student, exchange = home / "course", home / "student", tmp_path / "exchange"
    for folder in (course, student, exchange):
        folder.mkdir(parents=True)
    for item in ("nbgrader_config.py", "source", "release"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, course / item)

    env = isolated_jupyter_env(str(tmp_path / "jupyter"), {"AUTOGRADER_PROFILE": "quick"})
    # Shared by both parts, as ~/.jupyter/nbgrader_config.py is: where the exchange is and
    # where the student's assignments go. The course's own settings (the autograder) are in
    # course/nbgrader_config.py, which nbgrader reads because the server starts there.
    with open(os.path.join(env["JUPYTER_CONFIG_DIR"], "nbgrader_config.py"), "w") as config:
        config.write(f"c = get_config()\n"
                     f"c.Exchange.root = {str(exchange)!r}\n"
                     f"c.Exchange.cache = {str(tmp_path / 'cache')!r}\n"
                     f"c.Exchange.assignment_dir = {str(student)!r}\n")

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    server = JupyterLabServer(home, cwd=course, env=env, log_path=os.path.join(ARTIFACTS, "jupyter-server.log"))
    server.start()
    try:
        yield server, course, student
    finally:
        server.stop()


def eventually(condition, timeout=30, interval=0.5):
    """Whether `condition()` came true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class Browser:
    """A Chromium page on the lab, saving test-artifacts/e2e/NN-step.png for each step."""

    def __init__(self, page, server):
        self.page, self.server, self.step = page, server, 0

    def shot(self, name):
        self.step += 1
        self.page.screenshot(path=os.path.join(ARTIFACTS, f"{self.step:02d}-{name}.png"))

    def menu(self, command):
        """Nbgrader menu → the item running `command`."""
        self.page.locator('#jp-MainMenu .lm-MenuBar-itemLabel:text-is("Nbgrader")').click()
        self.page.locator(f'#jp-mainmenu-nbgrader li[data-command="{command}"]').click()

    def tab(self, label):
        self.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=label).first.click()

    def formgrader(self):
        return self.page.frame_locator('#jp-main-dock-panel iframe[src*="formgrader"]')

    def formgrader_action(self, link, timeout, shot):
        """Clicks a Formgrader action; waits for its result dialog, screenshots it, fails on an error, closes it."""
        link.click()
        frame = self.formgrader()
        modal = frame.locator("#success-modal, #error-modal").first
        modal.wait_for(state="visible", timeout=timeout)
        if modal.get_attribute("id") == "error-modal":
            self.shot(f"{shot}-error")
            pytest.fail(f"Formgrader reported an error:\n{modal.inner_text()[-6000:]}")
        self.shot(shot)
        frame.locator("#success-modal .modal-footer button").click()
        frame.locator("#success-modal").wait_for(state="detached")

    def assignments_list(self, name, rows):
        """The student's list `name` ('released', 'fetched', 'submitted') once it shows `rows` rows."""
        sync_api.expect(self.page.locator(f"#{name}_assignments_list_loading")).not_to_be_visible()
        items = self.page.locator(f"#{name}_assignments_list > .list_item")
        sync_api.expect(items).to_have_count(rows)
        return items


def test_student_and_instructor_work_through_jupyterlab(lab):
    server, course, student = lab
    solution = answer_cell(nbformat.read(SOLUTION, as_version=4)).source
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(60 * SECOND)
            sync_api.expect.set_options(timeout=60 * SECOND)
            browser = Browser(context.new_page(), server)
            try:
                work_through(browser, course, student, solution)
            except BaseException:
                browser.shot("failure")
                raise
        finally:
            sync_api.expect.set_options(timeout=None)  # back to Playwright's default for anyone else
            chromium.close()


def work_through(browser, course, student, solution):
    page, expect = browser.page, sync_api.expect
    notebook_file = f"{ASSIGNMENT}.ipynb"

    page.goto(browser.server.lab_url())
    page.locator(".jp-Launcher").wait_for()
    browser.shot("lab")

    # Instructor, in the Formgrader (Nbgrader menu): generate the student version, release it.
    browser.menu("nbgrader:open-formgrader")
    formgrader = browser.formgrader()
    assignment_row = formgrader.locator("#main-table tr", has_text=ASSIGNMENT)
    browser.formgrader_action(assignment_row.locator("td.assign a"), 180 * SECOND, "instructor-generated")
    browser.formgrader_action(assignment_row.locator("td.release a"), 60 * SECOND, "instructor-released")
    expect(assignment_row.locator("td.status")).to_have_text("released")

    # Student, in the Assignments tab (Nbgrader menu): fetch it, open the notebook.
    browser.menu("nbgrader:open-assignment-list")
    page.locator("#refresh_assignments_list").click()
    released = browser.assignments_list("released", 1)
    expect(released.first.locator(".item_name")).to_have_text(ASSIGNMENT)
    browser.shot("student-released")
    released.first.locator('.item_status button:text-is("Fetch")').click()
    fetched = browser.assignments_list("fetched", 1)
    assert (student / ASSIGNMENT / notebook_file).exists()
    fetched.first.locator("a.assignment-notebooks-link").click()  # expands it: its notebooks
    notebook_link = page.locator(f'#fetched_assignments_list .collapse .item_name a:text-is("{ASSIGNMENT}")')
    notebook_link.wait_for(state="visible")
    browser.shot("student-fetched")
    notebook_link.click()

    # Fill in the YOUR CODE regions: the answer cell's text replaced by the reference answer, as
    # pasted (select all in the cell's editor, insert the text), then saved.
    notebook = page.locator(".jp-NotebookPanel:visible")
    answer = notebook.locator(".jp-CodeCell", has_text="class StopAtTargetAccuracy")
    expect(answer).to_contain_text("# YOUR CODE HERE")
    browser.shot("student-opened")
    answer.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(solution)
    page.keyboard.press("Escape")
    expect(answer).not_to_contain_text("# YOUR CODE HERE")
    page.keyboard.press("ControlOrMeta+s")
    expect(page.locator(f"#jp-main-dock-panel .lm-TabBar-tab:has-text('{notebook_file}')")).not_to_have_class(
        re.compile(r"\bjp-mod-dirty\b"))
    handed_in = student / ASSIGNMENT / notebook_file
    assert eventually(lambda: answer_cell(nbformat.read(str(handed_in), as_version=4)).source == solution), \
        "the saved notebook's answer cell is not the reference answer"
    browser.shot("student-answered")

    # Validate (the notebook's toolbar button) and see success.
    notebook.locator("jp-button.validate-button").click()
    page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog").first.wait_for(timeout=VALIDATE_TIMEOUT)
    if page.locator(".nbgrader-ErrorDialog").count():
        browser.shot("student-validate-failed")
        pytest.fail("Validate failed:\n" + page.locator(".nbgrader-ErrorDialog").inner_text())
    expect(page.locator(".nbgrader-SuccessDialog")).to_contain_text("Success! Your notebook passes all the tests.")
    browser.shot("student-validated")
    page.locator(".nbgrader-SuccessDialog button.jp-Dialog-button").click()

    # Submit from the Assignments tab.
    browser.tab("Assignments")
    fetched = browser.assignments_list("fetched", 1)
    fetched.first.locator('.item_status button:text-is("Submit")').click()
    submitted = browser.assignments_list("submitted", 1)
    expect(submitted.first.locator(".item_name").first).to_have_text(ASSIGNMENT)
    browser.shot("student-submitted")

    # Instructor, in the Formgrader: collect, autograde, generate and release feedback.
    browser.tab("Formgrader")
    formgrader.locator('a:text-is("Manage Assignments")').click()  # reloads the table
    browser.formgrader_action(assignment_row.locator("td.collect a"), 60 * SECOND, "instructor-collected")
    expect(assignment_row.locator("td.num-submissions")).to_have_text("1")
    assignment_row.locator("td.num-submissions a").click()
    submission_row = formgrader.locator("#main-table tr", has_text=get_username())
    expect(submission_row.locator("td.status")).to_have_text("needs autograding")
    browser.formgrader_action(submission_row.locator("td.autograde a"), AUTOGRADE_TIMEOUT, "instructor-autograded")
    expect(submission_row.locator("td.status")).to_have_text("graded")
    expect(submission_row.locator("td.score")).to_have_text("8 / 8")
    browser.shot("instructor-scores")
    formgrader.locator('.breadcrumb a:text-is("Assignments")').click()
    browser.formgrader_action(assignment_row.locator("td.generate-feedback a"), 180 * SECOND,
                              "instructor-generated-feedback")
    assert (course / "feedback" / get_username() / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
    browser.formgrader_action(assignment_row.locator("td.release-feedback a"), 60 * SECOND,
                              "instructor-released-feedback")

    # Student: fetch the feedback in the Assignments tab, open it, see the score.
    browser.tab("Assignments")
    page.locator("#refresh_assignments_list").click()
    expect(page.locator("#submitted_assignments_list")).to_contain_text("feedback available to fetch")
    submitted = browser.assignments_list("submitted", 1)
    submitted.first.locator('.item_status button:text-is("Fetch Feedback")').click()
    view_feedback = page.locator('#submitted_assignments_list a:has-text("view feedback")')
    view_feedback.wait_for()
    browser.shot("student-fetched-feedback")
    assert len(list((student / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))) == 1
    view_feedback.click()  # the file browser goes to the feedback folder
    page.locator(f'.jp-DirListing-item:has-text("{ASSIGNMENT}.html")').dblclick()
    feedback = page.frame_locator("#jp-main-dock-panel .jp-HTMLViewer iframe")
    expect(feedback.get_by_text(f"{ASSIGNMENT} (Score: 8.0 / 8.0)")).to_be_visible()
    expect(feedback.locator("#toc a", has_text="Check reaches_target")).to_be_visible()  # made by the formgrader too
    expect(feedback.get_by_text("A shortened grading")).to_be_visible()  # graded on quick, and it says so
    browser.shot("student-feedback")
