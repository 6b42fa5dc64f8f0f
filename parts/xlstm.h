/* xlstm: filled in by its family work */
