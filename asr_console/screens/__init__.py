"""Screens: the pane modes, drill-downs, forms and dialogs. Thin: they compose widgets."""
