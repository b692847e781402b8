"""Privacy (AVG): what Handvat stores and why, a region's data export and deletion."""
