import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClusterCoordinator } from './cluster-coordinator';
import { DemoSeeder } from './demo-seeder';
import { OutboxRelay } from './outbox-relay';
import { ReportMailer } from './report-mailer';

@Module({
  providers: [
    {
      provide: ClusterCoordinator,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ClusterCoordinator.fromConfig(config),
    },
    ReportMailer,
    OutboxRelay,
    DemoSeeder,
  ],
  exports: [ClusterCoordinator],
})
export class ClusterModule {}
