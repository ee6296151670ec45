"""Widgets of the lesson screen. They render read-only view models and post requests up."""
