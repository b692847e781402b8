"""Action points ("de achterkant"): what the table agreed to do, who pulls it, by when."""
