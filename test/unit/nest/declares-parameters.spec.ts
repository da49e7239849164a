import 'reflect-metadata';
import { Periodic } from '../../../lib';
import { declaresParameters } from '../../../lib/nest/factory/routine-handlers';

/** A decorator that wraps the method as many do (logging, tracing, retries): `(...args)`. */
function Wrapped(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const inner = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      return inner.apply(this, args);
    };
  };
}

class Jobs {
  @Periodic('1m')
  async plain(): Promise<void> {}

  @Periodic('1m')
  async withSignal(_signal: AbortSignal): Promise<void> {}

  @Wrapped()
  @Periodic('1m')
  async wrappedWithSignal(_signal: AbortSignal): Promise<void> {}
}

describe('declaresParameters: what TypeScript recorded for the decorated method', () => {
  it('a method written without parameters declares none; one with the signal declares it', () => {
    expect(declaresParameters(Jobs.prototype, 'plain')).toBe(false);
    expect(declaresParameters(Jobs.prototype, 'withSignal')).toBe(true);
  });

  it('a method another decorator wrapped in (...args) still declares what it was written with', () => {
    expect(Jobs.prototype.wrappedWithSignal.length).toBe(0);
    expect(declaresParameters(Jobs.prototype, 'wrappedWithSignal')).toBe(true);
  });

  it('without recorded types (compiled without metadata) a method is taken to declare some', () => {
    class Bare {
      run(): void {}
    }
    expect(declaresParameters(Bare.prototype, 'run')).toBe(true);
  });
});
