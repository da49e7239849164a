import { CronExpression as ScheduleCronExpression } from '@nestjs/schedule';
import { CronExpression, parseCron, type OptionProblem } from '../../../lib/core';

describe('CronExpression', () => {
  it("has @nestjs/schedule's names and values, so code moving over keeps its constants", () => {
    expect(Object.entries(CronExpression)).toEqual(Object.entries(ScheduleCronExpression));
  });

  it.each(Object.entries(CronExpression))(
    '%s (%s) is a cron expression routines accept',
    (_name, cron) => {
      const problems: OptionProblem[] = [];
      expect(parseCron({ cron }, 'interval', problems)).toBeDefined();
      expect(problems).toEqual([]);
    },
  );
});
