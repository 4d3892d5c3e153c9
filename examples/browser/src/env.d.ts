/// <reference types="vite/client" />

declare module 'virtual:demo-digits' {
  import type { PackedDigits } from './digits.js';
  export const train: PackedDigits;
  export const valid: PackedDigits;
}
