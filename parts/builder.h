/* builder: filled in by its family work */
