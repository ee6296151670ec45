"""The Textual face of mailsim: the lesson picker, the lesson player, the sandbox.

Everything here renders view models from :mod:`simulator.lesson` (the player,
the sandbox, progress, quiz); nothing here parses protocol bytes or drives the
protocol machines (see ``tests/tui/test_layering.py``).
"""
