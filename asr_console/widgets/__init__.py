"""Widgets: the keyed Line-API table, store-bound views, the status bar."""
