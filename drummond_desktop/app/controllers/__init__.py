"""Controllers: turn user actions into tasks on the runner and task results into view updates."""
