import { Module } from '@nestjs/common';
import { TenantSyncService } from './tenant-sync.service';
import { TenantsController } from './tenants.controller';

@Module({ controllers: [TenantsController], providers: [TenantSyncService] })
export class TenantsModule {}
