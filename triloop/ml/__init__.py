"""ML experiment automation (`triloop ml`): a task directory, its fixed splits and metric, and the loop."""
