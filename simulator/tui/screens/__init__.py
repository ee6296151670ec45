"""The screens of the mailsim app."""
