/* ---- Liquid feature models (CfC, wired CfC, LTC) ----
 * smx_session_run(s, in, dt, T, out) runs T steps of input_size features with elapsed times dt
 * (NULL = 1.0 each; irregular sampling is what dt is for) and writes [T, output_size]. The
 * recurrent state is smx_session_layer_state(s, 0, &bytes): h [units] (wired CfC: wiring layers
 * in order; LTC: neuron ids, motor neurons first), then c [units] with mixed memory. Writing into
 * it after smx_session_reset sets the initial state; smx_session_state_save/load snapshot it.
 * Returns units (0 if m is not a liquid feature model); *has_c (may be NULL) is 1 with mixed
 * memory. */
SMX_API int smx_model_liquid_units(const smx_model *m, int *has_c);
