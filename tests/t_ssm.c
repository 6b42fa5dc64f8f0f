/* Tests of the ssm family (included by tests/test.c). */
static void test_ssm(void)
{
}
