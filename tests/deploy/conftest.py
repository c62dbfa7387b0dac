"""The restore drill runs the deadline workflows with the workflow tests' own harness."""

from tests.workflows.conftest import deadlines, skipping  # noqa: F401
