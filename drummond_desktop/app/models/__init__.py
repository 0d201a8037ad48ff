"""Qt item models over plain service results."""
