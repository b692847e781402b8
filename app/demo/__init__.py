"""Demo content: the Twente region and a partly filled conversation to show the tool with."""
