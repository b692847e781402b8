"""A region's monitoring indicators: importing its figures, showing them, linking them to
questions and action points."""
