import pytest

from kiosk.selectors import masked_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Jane Doe", "J*** D."), ("jane van der berg", "J*** B."), ("Cher", "C***"), ("", "Customer")],
)
def test_it_masks_a_name_to_an_initial_and_a_surname_letter(name, masked):
    assert masked_name(name) == masked
