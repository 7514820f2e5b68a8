#!/usr/bin/env python3
"""Writes Tests/RefineryInferenceTests/Fixtures/json-cases.json: JSON texts with Python's
reading of them, as the reference for Refinery's JSON parser and serializer.

Valid cases carry Python's json.dumps output in three spacings (compact, Python's default,
indent=2) and with ensure_ascii=True. Invalid cases are texts RFC 8259 rejects (Python's
json module is lenient about NaN, lone surrogates and duplicate keys, so the verdict for
those is written here, not read from Python); each names the error code and byte offset.

Run: python3 scripts/reference/json_cases.py
"""
import json
import pathlib

VALID = [
    '{}', '[]', '0', '-0.5', '1e3', '1E-2', '-1.25e+10', '123456789', '-9223372036854775808',
    '9223372036854775807', '0.1', '1e-7', '1e16', '123456789012345678.5', '5e-324', '1.7976931348623157e308',
    'true', 'false', 'null', '""', '"plain"', '"tab\\tnew\\nline\\r\\b\\f"', '"quote\\" back\\\\ slash\\/"',
    '"\\u0000\\u001f\\u007f"', '"é€😀"', '"\\u00e9\\u20ac\\ud83d\\ude00"', '"</script> & <b>"',
    ' \t\r\n[1 , 2,3 ]\n', '{"b":1,"a":2,"c":{"z":[],"y":{}}}', '[[[[[]]]]]',
    '{"name":"get_weather","arguments":{"city":"Paris","days":3,"units":null,"ok":true}}',
    '[1.0, 2.50, -0.0, 1e0]', '{"k\\u00e9y":"v","":"empty key"}', '"\\u2028\\u2029"',
    '[{"a":[{"b":[{"c":"deep"}]}]}]', '{"emoji":"🎉","cjk":"漢字","mix":"a\\u0301"}',
]

# (text or bytes, code, offset)
INVALID = [
    ('', 'unexpectedEnd', 0), ('   ', 'unexpectedEnd', 3), ('[1,]', 'unexpectedCharacter', 3),
    ('{"a":1,}', 'unexpectedCharacter', 7), ('{"a" 1}', 'unexpectedCharacter', 5), ('{a:1}', 'unexpectedCharacter', 1),
    ('[1 2]', 'unexpectedCharacter', 3), ('01', 'invalidNumber', 1), ('-', 'unexpectedEnd', 1), ('+1', 'unexpectedCharacter', 0),
    ('1.', 'unexpectedEnd', 2), ('.5', 'unexpectedCharacter', 0), ('1e', 'unexpectedEnd', 2), ('1e+', 'unexpectedEnd', 3),
    ('1.e3', 'invalidNumber', 2), ('-a', 'invalidNumber', 1), ('NaN', 'unexpectedCharacter', 0), ('Infinity', 'unexpectedCharacter', 0),
    ('tru', 'unexpectedEnd', 3), ('trUe', 'unexpectedCharacter', 2), ('nul', 'unexpectedEnd', 3), ('"abc', 'unexpectedEnd', 4),
    ('"a\nb"', 'controlCharacter', 2), ('"\\x41"', 'invalidEscape', 1), ('"\\u12"', 'invalidEscape', 5), ('"\\uZZZZ"', 'invalidEscape', 3),
    ('"\\ud800"', 'invalidUnicode', 1), ('"\\udc00x"', 'invalidUnicode', 1), ('"\\ud800\\u0041"', 'invalidUnicode', 1),
    ('{"a":1,"a":2}', 'duplicateKey', 7), ('[1] 2', 'trailingCharacters', 4), ('{} x', 'trailingCharacters', 3),
    ("['a']", 'unexpectedCharacter', 1), ('[1,2', 'unexpectedEnd', 4), ('{"a":1', 'unexpectedEnd', 6), ('{"a"', 'unexpectedEnd', 4),
    ('/* c */ 1', 'unexpectedCharacter', 0), ('[' * 600 + ']' * 600, 'tooDeep', 512),
    (b'"\xff"', 'invalidUTF8', 1), (b'"\xc3"', 'invalidUTF8', 1), (b'"\xed\xa0\x80"', 'invalidUTF8', 1), (b'"\xc0\xaf"', 'invalidUTF8', 1),
    (b'"\xf4\x90\x80\x80"', 'invalidUTF8', 1), (b'\xef\xbb\xbf{}', 'unexpectedCharacter', 0),
]


def main():
    cases = []
    for text in VALID:
        value = json.loads(text)
        cases.append({
            'input': text.encode().hex(), 'valid': True,
            'compact': json.dumps(value, separators=(',', ':'), ensure_ascii=False),
            'python': json.dumps(value, ensure_ascii=False),
            'pretty': json.dumps(value, indent=2, ensure_ascii=False),
            'ascii': json.dumps(value, separators=(',', ':'), ensure_ascii=True),
        })
    for text, code, offset in INVALID:
        data = text if isinstance(text, bytes) else text.encode()
        cases.append({'input': data.hex(), 'valid': False, 'code': code, 'offset': offset})
    out = pathlib.Path(__file__).resolve().parents[2] / 'Tests/RefineryInferenceTests/Fixtures/json-cases.json'
    out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + '\n')
    print(f'wrote {len(cases)} cases to {out}')


if __name__ == '__main__':
    main()
