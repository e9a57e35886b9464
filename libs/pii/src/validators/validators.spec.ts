import { describe, expect, it } from '@jest/globals';
import { abaRoutingValid } from './aba-routing.validator.js';
import { calendarDateValid, expandYear } from './date.validator.js';
import { ibanMod97, ibanValid } from './iban.validator.js';
import { cardBrand, luhnValid } from './luhn.validator.js';
import {
  aadhaarValid,
  caSinValid,
  deTaxIdValid,
  esDniNieValid,
  itFiscalCodeValid,
  nlBsnValid,
  plPeselValid,
  ukNhsValid,
  ukNinoValid,
  verhoeffValid,
} from './national-id.validator.js';
import { usItinValid, usSsnValid } from './us-ssn.validator.js';

describe('Luhn and IIN', () => {
  it.each(['4111111111111111', '5500005555555559', '378282246310005', '6011000990139424', '3530111333300000', '2221000000000009'])(
    'accepts %s',
    (n) => expect(luhnValid(n)).toBe(true),
  );
  it.each(['4111111111111112', '1234567812345678', '', '41111111111a1111'])('rejects %s', (n) => expect(luhnValid(n)).toBe(false));
  it('names brands by IIN range and length', () => {
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('5500005555555559')).toBe('mastercard');
    expect(cardBrand('2221000000000009')).toBe('mastercard');
    expect(cardBrand('378282246310005')).toBe('amex');
    expect(cardBrand('3782822463100050')).toBeUndefined(); // amex is 15 digits
    expect(cardBrand('9111111111111111')).toBeUndefined();
  });
});

describe('IBAN', () => {
  it.each(['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'NO9386011117947'])(
    'accepts %s',
    (i) => expect(ibanValid(i)).toBe(true),
  );
  it('rejects a wrong check digit, a wrong length and an unknown country', () => {
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
    expect(ibanValid('QQ82WEST12345698765432')).toBe(false);
    expect(ibanMod97('GB82WEST12345698765432')).toBe(1);
  });
});

describe('US SSN and ITIN', () => {
  it('accepts issued-shape numbers', () => {
    expect(usSsnValid('536905721')).toBe(true);
    expect(usSsnValid('001010001')).toBe(true);
  });
  it.each([
    ['000123456', 'area 000'],
    ['666123456', 'area 666'],
    ['900123456', 'area 9xx (ITIN space)'],
    ['999123456', 'area 9xx'],
    ['123001234', 'group 00'],
    ['123450000', 'serial 0000'],
    ['111111111', 'one repeated digit'],
    ['078051120', 'Woolworth sample'],
    ['123456789', 'sequential sample'],
    ['12345678', 'too short'],
  ])('rejects %s (%s)', (n) => expect(usSsnValid(n)).toBe(false));
  it('knows ITIN group ranges', () => {
    expect(usItinValid('912701234')).toBe(true);
    expect(usItinValid('912891234')).toBe(false);
    expect(usItinValid('812701234')).toBe(false);
  });
});

describe('ABA routing', () => {
  it('checks the 3-7-1 checksum and Federal Reserve prefix', () => {
    expect(abaRoutingValid('021000021')).toBe(true);
    expect(abaRoutingValid('011000015')).toBe(true);
    expect(abaRoutingValid('021000022')).toBe(false);
    expect(abaRoutingValid('500000005')).toBe(false); // prefix 50 is unassigned
    expect(abaRoutingValid('000000000')).toBe(false);
  });
});

describe('national ids', () => {
  it('Verhoeff and Aadhaar', () => {
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
    expect(aadhaarValid('234123412346')).toBe(true);
    expect(aadhaarValid('234123412347')).toBe(false);
    expect(aadhaarValid('134123412346')).toBe(false); // never starts with 0 or 1
  });
  it('UK NINO prefix rules and NHS mod 11', () => {
    expect(ukNinoValid('AB123456C')).toBe(true);
    expect(ukNinoValid('GB123456C')).toBe(false);
    expect(ukNinoValid('DA123456C')).toBe(false);
    expect(ukNinoValid('AB123456E')).toBe(false);
    expect(ukNhsValid('9434765919')).toBe(true);
    expect(ukNhsValid('9434765918')).toBe(false);
  });
  it('Spanish DNI/NIE letters', () => {
    expect(esDniNieValid('12345678Z')).toBe(true);
    expect(esDniNieValid('12345678A')).toBe(false);
    expect(esDniNieValid('X1234567L')).toBe(true);
    expect(esDniNieValid('X1234567T')).toBe(false);
  });
  it('Italian codice fiscale check character and omocodia', () => {
    expect(itFiscalCodeValid('RSSMRA85T10A562S')).toBe(true);
    expect(itFiscalCodeValid('RSSMRA85T10A562X')).toBe(false);
    expect(itFiscalCodeValid('RSSMRA85T10A56NS')).toBe(false); // omocodic digit changes the check character
  });
  it('Dutch BSN 11-proof, Polish PESEL, Canadian SIN, German Steuer-ID', () => {
    expect(nlBsnValid('111222333')).toBe(true);
    expect(nlBsnValid('111222334')).toBe(false);
    expect(plPeselValid('44051401359')).toBe(true);
    expect(plPeselValid('44051401358')).toBe(false);
    expect(plPeselValid('44133101350')).toBe(false); // month 13
    expect(caSinValid('130692544')).toBe(true);
    expect(caSinValid('130692545')).toBe(false);
    expect(deTaxIdValid('86095742719')).toBe(true);
    expect(deTaxIdValid('86095742718')).toBe(false);
  });
});

describe('dates', () => {
  it('knows real calendar dates and expands 2-digit years', () => {
    expect(calendarDateValid(2024, 2, 29)).toBe(true);
    expect(calendarDateValid(2023, 2, 29)).toBe(false);
    expect(calendarDateValid(2023, 13, 1)).toBe(false);
    expect(expandYear(85, 2026)).toBe(1985);
    expect(expandYear(12, 2026)).toBe(2012);
  });
});
