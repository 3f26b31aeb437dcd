"""What people see: charts by family, every plain-language finding and number format (``words``), and the HTML
report. Imports the layers below; runs nothing."""
