/* diffusion: filled in by its family work */
