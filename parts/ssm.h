/* ssm: filled in by its family work */
