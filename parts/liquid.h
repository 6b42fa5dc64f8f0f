/* liquid: filled in by its family work */
