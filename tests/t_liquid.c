/* Tests of the liquid family (included by tests/test.c). */
static void test_liquid(void)
{
}
