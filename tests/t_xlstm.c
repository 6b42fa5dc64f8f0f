/* Tests of the xlstm family (included by tests/test.c). */
static void test_xlstm(void)
{
}
