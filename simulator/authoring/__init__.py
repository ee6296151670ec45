"""Tools for teachers who write their own scenarios and lessons: ``mailsim new`` (scaffold) and the
generated parts of docs/authoring.md (reference)."""
