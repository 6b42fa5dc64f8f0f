/* Tests of the diffusion family (included by tests/test.c). */
static void test_diffusion(void)
{
}
